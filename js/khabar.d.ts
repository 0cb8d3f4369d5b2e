// Types of `khabar/auto` (the script tag's loader): what it exports is
// the `khabar` API itself. Importing it mounts `[data-khabar]` placeholders
// and defines `<khabar-widget>`.
export * from './index.js';
