// Supervised processes with consoles, and short-lived commands: the engine's only way to run programs.
export * from './batchedStream.js';
export * from './consoleText.js';
export * from './elf.js';
export * from './executable.js';
export * from './processTree.js';
export * from './ptyDrain.js';
export * from './ringBuffer.js';
export * from './runnable.js';
export * from './run.js';
export * from './supervisedProcess.js';
