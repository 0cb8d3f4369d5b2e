// Types of `khabar/auto` (the script tag's loader): what it exports is
// the `khabar` API itself, but for `placeholderAttributes`, which only
// server rendering needs. Importing it mounts `[data-khabar]` placeholders
// and defines `<khabar-widget>`.
export type * from './index.js';
export { debugCounts, init, KhabarError, mount, ready, reservedHeight, version } from './index.js';
