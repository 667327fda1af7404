import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

import { api, createOrg, inviteIn, unique, waitForHydration, watchErrors, type Org } from './support/seed';

/** A webhook receiver on loopback (the test server runs with --demo, which allows private targets). */
async function receiver(): Promise<{ server: Server; url: string; received: string[] }> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/hook`, received };
}

async function withDeliveries(request: Parameters<typeof inviteIn>[0]): Promise<{ org: Org; hook: Awaited<ReturnType<typeof receiver>> }> {
  const hook = await receiver();
  const org = createOrg();
  await api(request, org, '/v1/webhooks/endpoints', { url: hook.url, format: 'raw', events: ['customer_seat.assigned'], name: 'Billing sync' });
  await inviteIn(request, org, `${unique('hooked')}@example.com`);
  await expect.poll(() => hook.received.length, { timeout: 15_000 }).toBeGreaterThan(0);
  return { org, hook };
}

async function signIn(page: Page, org: Org) {
  await page.goto('/dashboard');
  await waitForHydration(page);
  await page.getByLabel('Access token').fill(org.access_token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
}

test('a merchant signs in with a token, sees an endpoint and its delivery, and redelivers it', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { org, hook } = await withDeliveries(request);
  await signIn(page, org);
  await waitForHydration(page);
  await expect(page.getByText('Billing sync')).toBeVisible();
  await expect(page.getByText(hook.url).first()).toBeVisible();
  const row = page.getByTestId('delivery').first();
  await expect(row).toContainText('customer_seat.assigned');
  await expect(row).toContainText(/Delivered \(204\) in \d+ ms/);

  await row.getByRole('button', { name: /^Redeliver customer_seat.assigned/ }).click();
  await expect(page.getByTestId('redeliver-outcome')).toHaveText(/Redelivery scheduled/);
  await expect.poll(() => hook.received.length, { timeout: 15_000 }).toBe(2);
  expect(hook.received[1]).toBe(hook.received[0]);

  // The token never reaches the page; the cookie is HttpOnly and Strict.
  expect(await page.content()).not.toContain(org.access_token);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'seatkeeper_dashboard');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Strict');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Merchant dashboard' })).toBeVisible();
  await page.goto('/dashboard/webhooks');
  await expect(page.getByTestId('dashboard-signed-out')).toBeVisible();
  hook.server.close();
  expect(errors).toEqual([]);
});

test('a refused token is told so, and the webhooks page without a sign-in asks for one', async ({ page }) => {
  await page.goto('/dashboard/webhooks');
  await expect(page.getByTestId('dashboard-signed-out')).toBeVisible();
  await page.getByRole('link', { name: 'Sign in' }).click();
  await waitForHydration(page);
  await page.getByLabel('Access token').fill('skp_oat_not_a_real_token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(/not accepted/);
});

test('the dashboard works without JavaScript', async ({ browser, request }) => {
  const { org, hook } = await withDeliveries(request);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/dashboard');
  await page.getByLabel('Access token').fill('skp_oat_wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(/not accepted/);
  await page.getByLabel('Access token').fill(org.access_token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await page.getByTestId('delivery').first().getByRole('button', { name: /^Redeliver/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await expect.poll(() => hook.received.length, { timeout: 15_000 }).toBe(2);
  await context.close();
  hook.server.close();
});

test('the webhooks page in light, dark and on a phone', async ({ page, request }) => {
  const { org, hook } = await withDeliveries(request);
  // A second endpoint nobody listens on: its failed attempt shows what went wrong.
  await api(request, org, '/v1/webhooks/endpoints', { url: 'http://127.0.0.1:9/closed', format: 'raw', events: ['customer_seat.assigned'] });
  await inviteIn(request, org, `${unique('failing')}@example.com`);
  await expect.poll(() => hook.received.length, { timeout: 15_000 }).toBe(2);
  const failed = async () => {
    const log = await request.get('/v1/webhooks/deliveries?succeeded=false', { headers: { Authorization: `Bearer ${org.access_token}` } });
    return (await log.json()).pagination.total_count;
  };
  await expect.poll(failed, { timeout: 15_000 }).toBeGreaterThan(0);
  await signIn(page, org);
  await waitForHydration(page);
  await expect(page.getByTestId('delivery').filter({ hasText: 'Failed (no answer)' })).toContainText('could not connect');
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help}`), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/screens/webhooks-${scheme}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 360, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'fits 360 px').toBeLessThanOrEqual(0);
  await page.screenshot({ path: `test-results/screens/webhooks-360.png`, fullPage: true });
  await page.goto('/dashboard');
  await waitForHydration(page);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`), 'sign-in').toEqual([]);
  await page.screenshot({ path: `test-results/screens/dashboard-sign-in-360.png`, fullPage: true });
  hook.server.close();
});
