// Per-frame notes for captures: what the fabric did to a frame (a flipped bit, a duplicate),
// carried with the frame object itself so that every capture it crosses later can say so.

const notes = new WeakMap<Uint8Array, string>();
let anyNote = false;

/** Attaches a note to a frame object (appended to a note it already has). */
export function noteFrame(frame: Uint8Array, note: string): void {
  anyNote = true;
  const before = notes.get(frame);
  notes.set(frame, before === undefined ? note : `${before}; ${note}`);
}

/** The note of a frame object, if it has one. */
export function frameNote(frame: Uint8Array): string | undefined {
  return anyNote ? notes.get(frame) : undefined;
}

/** False until the first note: captures skip the look-up entirely until then. */
export function framesHaveNotes(): boolean {
  return anyNote;
}
