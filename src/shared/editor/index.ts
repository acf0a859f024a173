// The topology editor's pure core: a tolerant graph view of topology text and edits of it.
export * from './document.js';
export * from './graph.js';
export * from './radio.js';
