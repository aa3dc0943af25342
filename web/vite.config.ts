import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const outDir = fileURLToPath(
  new URL('../services/gateway/src/switchboard_gateway/static/dist', import.meta.url),
);
const gateway = process.env.SWITCHBOARD_DEV_GATEWAY ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  server: {
    // `npm run dev` proxies the API and the socket to a running gateway.
    proxy: {
      '^/(auth|user|login|logout|project|feedback|set-session-cookie|avatars|logo|favicon|public)':
        gateway,
      '/ws': { target: gateway, ws: true },
    },
  },
});
