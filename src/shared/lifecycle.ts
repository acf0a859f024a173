/** Something that holds a resource and releases it when disposed. */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/** Wraps a function as a Disposable that runs it at most once. */
export function toDisposable(fn: () => void | Promise<void>): Disposable {
  let done = false;
  return {
    dispose() {
      if (done) return;
      done = true;
      return fn();
    },
  };
}

/**
 * Owns a set of children and disposes them in reverse order of registration, so that a
 * resource created later (which may depend on an earlier one) is released first.
 */
export class DisposableStore implements Disposable {
  private readonly items: Disposable[] = [];
  private disposed = false;

  /** Registers a child; if the store is already disposed, the child is disposed at once. */
  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      void item.dispose();
      return item;
    }
    this.items.push(item);
    return item;
  }

  /** True once dispose() has been called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Disposes every child (last registered first); errors are collected, not swallowed. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const item = this.items.pop();
      try {
        await item?.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several resources failed to dispose');
  }
}

/** A typed event emitter with disposable subscriptions. */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => void>();

  /** Subscribes; dispose the result to unsubscribe. */
  readonly event = (listener: (e: T) => void): Disposable => {
    this.listeners.add(listener);
    return toDisposable(() => {
      this.listeners.delete(listener);
    });
  };

  /** Delivers an event to every current listener. */
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }

  /** Number of current listeners. */
  get size(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
