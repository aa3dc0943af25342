// The copilot widget (`/copilot/index.js`): one classic script a host page can load
// from any origin, built after the app into the same dist folder.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const outDir = fileURLToPath(
  new URL('../services/gateway/src/switchboard_gateway/static/dist/copilot', import.meta.url),
);

export default defineConfig({
  publicDir: false,
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    lib: {
      entry: fileURLToPath(new URL('src/copilot/widget.ts', import.meta.url)),
      name: 'SwitchboardCopilot',
      formats: ['iife'],
      fileName: () => 'index.js',
    },
  },
});
