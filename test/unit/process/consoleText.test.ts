import { describe, expect, it } from 'vitest';
import {
  lastLines,
  quoteLines,
  seconds,
  stripAnsi,
} from '../../../src/engine/process/consoleText.js';

describe('console text', () => {
  it('strips colour, cursor, OSC title and control sequences', () => {
    expect(stripAnsi('\x1b[1;32mOK\x1b[0m \x1b]0;title\x07done\x1b[2K\x07\x1bc')).toBe('OK done');
  });

  it('keeps the last 20 non-empty lines, right-trimmed, across \\r\\n, \\n and \\r', () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}  `).join('\r\n\r\n') + '\rtail\n';
    const lines = lastLines(text);
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('line 11');
    expect(lines.at(-1)).toBe('tail');
  });

  it('quotes the last lines for a reason, or says there was no output', () => {
    expect(quoteLines(['a', 'b', 'c'], 2)).toBe('b | c');
    expect(quoteLines([])).toBe('(no output)');
  });

  it('formats milliseconds as seconds', () => {
    expect(seconds(30_000)).toBe('30 s');
    expect(seconds(500)).toBe('0.5 s');
  });
});
