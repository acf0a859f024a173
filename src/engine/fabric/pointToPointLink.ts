import { Emitter, type Disposable } from '../../shared/lifecycle.js';
import type { Port } from './port.js';

/**
 * A link with exactly two ports: every frame one port receives is sent out of the other,
 * batch for batch. Both ports must carry the same link type.
 */
export class PointToPointLink implements Disposable {
  /** Both ends, in the order given. */
  readonly ports: readonly [Port, Port];
  private readonly subscriptions: Disposable[] = [];
  private disposed = false;
  private readonly didDispose = new Emitter<void>();

  /** Fires once when the link is disposed. */
  readonly onDidDispose = this.didDispose.event;

  constructor(
    readonly a: Port,
    readonly b: Port,
  ) {
    if (a === b) throw new Error(`a point-to-point link needs two ports, got ${a.id} twice`);
    if (a.linkType !== b.linkType) {
      throw new Error(
        `cannot link ${a.id} (${a.linkType}) with ${b.id} (${b.linkType}): link types differ`,
      );
    }
    this.ports = [a, b];
    const toA = a.connect((frames) => {
      b.send(frames);
    });
    try {
      this.subscriptions.push(toA);
      this.subscriptions.push(
        b.connect((frames) => {
          a.send(frames);
        }),
      );
    } catch (err) {
      void toA.dispose();
      throw err;
    }
  }

  /** Disconnects both ports (they stay open; their owners dispose them). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.subscriptions.splice(0)) void s.dispose();
    this.didDispose.fire();
    this.didDispose.dispose();
  }
}
