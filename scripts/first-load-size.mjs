// What a browser downloads on its first visit to a page (the portal, the claim page, ...): the one
// wasm bundle, its JavaScript glue and the stylesheet, each raw, gzip (-9) and brotli (quality 11,
// what precompressed assets would be served as). Reads the release build's target/site/pkg.
// Usage: node scripts/first-load-size.mjs [site-root]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const root = process.argv[2] ?? 'target/site';
const files = ['seatkeeper.wasm', 'seatkeeper.js', 'seatkeeper.css'];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let total = { raw: 0, gzip: 0, brotli: 0 };
console.log('file                 raw        gzip      brotli');
for (const name of files) {
  const data = readFileSync(join(root, 'pkg', name));
  const sizes = {
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
  for (const k of Object.keys(total)) total[k] += sizes[k];
  console.log(`${name.padEnd(18)} ${kb(sizes.raw).padStart(10)} ${kb(sizes.gzip).padStart(10)} ${kb(sizes.brotli).padStart(10)}`);
}
console.log(`${'first load'.padEnd(18)} ${kb(total.raw).padStart(10)} ${kb(total.gzip).padStart(10)} ${kb(total.brotli).padStart(10)}`);
