// `@khabar/svelte`: the component, compiled by the app's own Svelte setup.
export { default as Khabar, default } from './Khabar.svelte';
