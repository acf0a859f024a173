// The canvas's editor actions on the renderer's store: each edit is a pure function of the
// document, refused edits leave it untouched with a reason, and every recorded edit undoes.
import { beforeEach, describe, expect, test } from 'vitest';
import {
  addNodeAction,
  connectAction,
  copySelection,
  deleteAction,
  layoutAction,
  pasteAction,
  run,
  setFieldAction,
} from '../../../src/renderer/src/actions.js';
import { EMPTY_TEXT, useStore } from '../../../src/renderer/src/store/index.js';
import { readGraph } from '../../../src/shared/editor/index.js';
import { validateTopologyText } from '../../../src/shared/topology/index.js';

const names = (): string[] => readGraph(useStore.getState().doc.text).nodes.map((n) => n.name);
const links = (): string[] => readGraph(useStore.getState().doc.text).links.map((l) => l.id);

beforeEach(() => {
  useStore.getState().loadDoc({ text: EMPTY_TEXT, positions: {} }, null);
});

describe('editor actions', () => {
  test('build, refuse, delete, undo and redo', () => {
    const s = useStore.getState;
    run(addNodeAction, { kind: 'host', position: { x: 0, y: 0 } });
    run(addNodeAction, { kind: 'host', position: { x: 0, y: 200 } });
    run(addNodeAction, { kind: 'switch', position: { x: 200, y: 100 } });
    run(addNodeAction, { kind: 'switch', position: { x: 400, y: 100 } });
    expect(names()).toEqual(['h1', 'h2', 'sw1', 'sw2']);
    expect(run(connectAction, { a: 'h1', b: 'sw1' })).toBe(true);
    expect(run(connectAction, { a: 'h2', b: 'sw1' })).toBe(true);
    expect(run(connectAction, { a: 'sw1', b: 'sw2' })).toBe(true);
    const before = s().doc;
    expect(run(connectAction, { a: 'sw2', b: 'sw1' })).toBe(false);
    expect(s().notice?.text).toMatch(/cannot link sw2 and sw1: .*loop/);
    expect(s().doc).toBe(before);
    run(setFieldAction, {
      path: ['nodes', 'h1', 'interfaces', 'eth0', 'ipv4'],
      value: ['192.0.2.1/24'],
    });
    expect(validateTopologyText(s().doc.text, 'x.yaml').ok).toBe(true);

    run(deleteAction, { nodes: ['sw2'], links: [] });
    expect(names()).not.toContain('sw2');
    expect(links()).toEqual(['h1:eth0--sw1', 'h2:eth0--sw1']);
    s().undo();
    expect(names()).toContain('sw2');
    expect(links()).toContain('sw1--sw2');
    s().redo();
    expect(names()).not.toContain('sw2');
    // Every recorded action is one undo step back to the empty document.
    while (s().past.length > 0) s().undo();
    expect(s().doc.text).toBe(EMPTY_TEXT);
  });

  test('copy and paste give fresh names and keep the links among the copied nodes', () => {
    run(addNodeAction, { kind: 'host', position: { x: 0, y: 0 } });
    run(addNodeAction, { kind: 'switch', position: { x: 100, y: 0 } });
    run(connectAction, { a: 'h1', b: 'sw1' });
    const clip = copySelection(useStore.getState().doc, { nodes: ['h1', 'sw1'], links: [] });
    expect(clip).not.toBeNull();
    if (!clip) return;
    run(pasteAction, clip);
    expect(names()).toEqual(['h1', 'sw1', 'h2', 'sw2']);
    expect(links()).toEqual(['h1:eth0--sw1', 'h2:eth0--sw2']);
    expect(useStore.getState().selection.nodes).toEqual(['h2', 'sw2']);
    expect(useStore.getState().doc.positions['h2']).toEqual({ x: 40, y: 40 });
  });

  test('auto-layout places every node and is undoable', () => {
    run(addNodeAction, { kind: 'host', position: { x: 0, y: 0 } });
    run(addNodeAction, { kind: 'host', position: { x: 0, y: 0 } });
    run(addNodeAction, { kind: 'switch', position: { x: 0, y: 0 } });
    run(connectAction, { a: 'h1', b: 'sw1' });
    run(connectAction, { a: 'h2', b: 'sw1' });
    const before = useStore.getState().doc.positions;
    run(layoutAction, null);
    const after = useStore.getState().doc.positions;
    expect(new Set(Object.values(after).map((p) => `${p.x},${p.y}`)).size).toBe(3);
    useStore.getState().undo();
    expect(useStore.getState().doc.positions).toEqual(before);
  });
});
