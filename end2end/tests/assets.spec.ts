/**
 * Every asset a page references exists, on the binary the tests run (the release build): a page
 * whose WASM is missing never hydrates and its buttons do nothing, which no server-side test sees.
 */
import { expect, test } from '@playwright/test';

import { invite, unique } from './support/seed';

test('every asset each page references answers 200', async ({ request }) => {
  const email = `${unique('assets')}@example.com`;
  const org = await invite(request, email);
  const checkout = await (await request.get('/v1/checkouts?limit=1', { headers: { Authorization: `Bearer ${org.access_token}` } })).json();
  const pages = [
    '/',
    `/checkout/${checkout.items[0].client_secret}`,
    `/${org.slug}/portal/claim?token=skp_inv_unknown`,
    `/${org.slug}/portal/seats`,
    '/no/such/page',
    '/dev/mailbox',
  ];
  const seen = new Set<string>();
  for (const path of pages) {
    const html = await (await request.get(path)).text();
    const refs = [...html.matchAll(/(?:href|src)="(\/(?:pkg\/|favicon)[^"]*)"/g)].map((m) => m[1]);
    expect(refs.length, `${path} references its assets`).toBeGreaterThan(0);
    for (const ref of refs) seen.add(ref);
    // The hydration script names the module and the WASM in its own arguments.
    for (const name of html.matchAll(/"(seatkeeper(?:_bg)?)"/g)) {
      seen.add(`/pkg/${name[1]}.js`);
    }
  }
  expect([...seen]).toEqual(expect.arrayContaining(['/pkg/seatkeeper.js', '/pkg/seatkeeper.wasm', '/pkg/seatkeeper.css', '/favicon.svg']));
  for (const ref of seen) {
    const response = await request.get(ref);
    expect(response.status(), ref).toBe(200);
  }
});
