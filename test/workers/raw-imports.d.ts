/** Vite's `?raw` imports, which the Workers Vitest integration resolves: a file's text. */
declare module "*?raw" {
  const text: string;
  export default text;
}
