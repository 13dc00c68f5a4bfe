/**
 * Build of the web console: `vite build --config web/vite.config.ts` → web/dist (served by
 * `cb start` at `/`, see src/web/static-plugin.ts). `vite --config web/vite.config.ts` serves it
 * with hot reload and proxies the API to CB_DEV_API (default http://127.0.0.1:3000).
 *
 * Every text asset also gets a brotli (quality 11) and a gzip twin, so the server sends them
 * without compressing per request.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiTarget = process.env.CB_DEV_API ?? 'http://127.0.0.1:3000';

function precompress(): Plugin {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      if (name.startsWith('.')) return [];
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  return {
    name: 'cb-precompress',
    apply: 'build',
    writeBundle(options) {
      const outDir = options.dir ?? join(root, 'dist');
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json|txt)$/.test(file)) continue;
        const content = readFileSync(file);
        if (content.length < 1024) continue;
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
        writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/readyz', '/healthz', '/metrics', '/openapi.json'].map((p) => [p, { target: apiTarget }]),
    ),
  },
});
