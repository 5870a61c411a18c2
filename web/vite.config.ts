import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { compression } from 'vite-plugin-compression2';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.HUIKE_API_URL ?? 'http://127.0.0.1:3000';

// The console is built into dist/web and served by the Huike server; `npm run dev` runs this
// dev server with hot reload and forwards API calls to a server started beside it.
export default defineConfig({
  root,
  // Each script and style also as .br and .gz beside it, which the server sends to a browser that accepts them
  // (@fastify/static preCompressed): the largest chunk is ~900 kB as it is, a tenth of that compressed, at no cost per
  // request.
  plugins: [react(), compression({ algorithms: ['brotliCompress', 'gzip'], include: /\.(js|css|html|svg|json)$/ })],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
    rolldownOptions: {
      output: {
        // ECharts and React in long-lived chunks of their own; each page is its own chunk
        // (React.lazy) and carries the Ant Design components only it uses.
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)/ },
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom)[\\/]/ },
          ],
        },
      },
    },
  },
  server: { port: 5173, proxy: { '/api': api, '/docs': api } },
});
