/**
 * The two actions a stranger's browser performs, claiming a seat and paying a checkout, work with
 * JavaScript turned off: the forms post to the server functions, which send the browser on to a
 * page that shows the result. (With JavaScript the same forms act in place: see claim.spec.ts and
 * checkout.spec.ts.)
 */
import { expect, test } from '@playwright/test';

import { api, createOrg, invite, portalLink, SEED_TIERS, teamPool, unique } from './support/seed';

test.use({ javaScriptEnabled: false });

test('without JavaScript, an invited person claims the seat and lands on their seats with the benefits', async ({ page, request }) => {
  const email = `${unique('nojs')}@example.com`;
  const org = await invite(request, email);
  await page.goto('/dev/mailbox');
  const href = await page.locator(`article[data-to="${email}"] a`).first().getAttribute('href');
  await page.goto(href!);
  await expect(page.getByRole('heading', { level: 1, name: "You're invited to Team plan" })).toBeVisible();

  await page.getByRole('button', { name: 'Claim seat' }).click();
  await expect(page).toHaveURL(`/${org.slug}/portal/seats`);
  await expect(page.getByRole('heading', { level: 1, name: 'Your seats' })).toBeVisible();
  await expect(page.getByText(`Signed in as ${email}.`)).toBeVisible();
  await expect(page.getByTestId('license-key')).toHaveText(/^E2E-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  await expect(page.getByText('Book your call at cal.example')).toBeVisible();
  const session = (await page.context().cookies()).find((c) => c.name === 'seatkeeper_session');
  expect(session?.httpOnly).toBe(true);

  // The link is spent: going back to it says so.
  await page.goto(href!);
  await expect(page.getByRole('heading', { name: "This invitation link can't be used" })).toBeVisible();
});

test('without JavaScript, the billing manager invites and revokes from the portal', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await expect(page).toHaveURL(`/${org.slug}/portal`);
  const pool = page.getByTestId('pool');
  const email = `${unique('nojs')}@example.com`;
  await pool.getByLabel('Email of the person to invite').fill(email);
  await pool.getByRole('button', { name: 'Invite' }).click();
  await expect(page).toHaveURL(`/${org.slug}/portal`);
  await expect(pool.getByTestId('pool-usage')).toHaveText('1 of 3 seats used · 2 free');
  const row = pool.getByTestId('seat').filter({ hasText: email });
  await row.getByText('Revoke…').click();
  await row.getByRole('button', { name: 'Revoke access' }).click();
  await expect(row.locator('.badge')).toHaveText('Revoked');
  await expect(pool.getByTestId('pool-usage')).toHaveText('0 of 3 seats used · 3 free');
});

test('without a session, the seats page says how to get back in', async ({ page }) => {
  await page.goto('/acme/portal/seats');
  await expect(page.getByRole('heading', { name: "You're not signed in" })).toBeVisible();
});

async function openCheckout(request: Parameters<typeof api>[0]) {
  const org = createOrg();
  const product = await api(request, org, '/v1/products', {
    name: 'Team plan',
    recurring_interval: 'month',
    prices: [{ amount_type: 'seat_based', seat_tiers: SEED_TIERS }],
  });
  return api(request, org, '/v1/checkouts', { products: [product.id], seats: 3 });
}

test('without JavaScript, a buyer pays the checkout and comes back to the receipt', async ({ page, request }) => {
  const checkout = await openCheckout(request);
  await page.goto(`/checkout/${checkout.client_secret}`);
  await page.getByLabel('Seats').fill('6');
  await page.getByLabel('Email').fill(`${unique('buyer')}@example.com`);
  await page.getByRole('button', { name: 'Pay with test card' }).click();
  await expect(page).toHaveURL(`/checkout/${checkout.client_secret}`);
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  const paid = await (await request.get(`/v1/checkouts/client/${checkout.client_secret}`)).json();
  expect(paid.status).toBe('succeeded');
  expect(paid.seats).toBe(6);
});

test('without JavaScript, a declined card comes back with the reason and nothing bought', async ({ page, request }) => {
  const checkout = await openCheckout(request);
  await page.goto(`/checkout/${checkout.client_secret}`);
  // The page itself carries the checkout's seat count: no script fills it in.
  await expect(page.getByLabel('Seats')).toHaveValue('3');
  await page.getByLabel('Email').fill(`${unique('buyer')}@example.com`);
  await page.getByRole('button', { name: 'Pay with a declined test card' }).click();
  await expect(page).toHaveURL(`/checkout/${checkout.client_secret}?payment=declined`);
  await expect(page.getByRole('alert')).toHaveText('Your card was declined. Try another card.');
  const open = await (await request.get(`/v1/checkouts/client/${checkout.client_secret}`)).json();
  expect(open.status).toBe('open');
});

test('without JavaScript, the theme switch posts and comes back to the same page, dark', async ({ page }) => {
  await page.goto('/acme/portal?signin=expired');
  await page.getByRole('navigation', { name: 'Colour theme' }).getByRole('button', { name: 'Dark' }).click();
  await expect(page).toHaveURL(/\/acme\/portal\?signin=expired$/);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
});

test('without JavaScript, a code from the sign-in email signs the billing manager in', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  const customer = await (await request.get(`/v1/customers/${paid.customer_id}`, {
    headers: { Authorization: `Bearer ${org.access_token}` },
  })).json();
  await page.goto(`/${org.slug}/portal`);
  await page.getByLabel('Your email').fill(customer.email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page).toHaveURL(new RegExp(`/${org.slug}/portal\\?code_sent=1$`));
  await expect(page.getByRole('status')).toContainText('a code is on its way');
  await page.goto('/dev/mailbox');
  await page.locator(`article[data-to="${customer.email}"]`).getByRole('link', { name: /\/portal\?code=/ }).first().click();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/${org.slug}/portal$`));
  await expect(page.getByTestId('pool-usage')).toHaveText('0 of 3 seats used · 3 free');
});
