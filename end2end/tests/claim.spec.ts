import { expect, test, type APIRequestContext } from '@playwright/test';

import { api, createOrg, SEED_TIERS, unique, waitForHydration, watchErrors, type Org } from './support/seed';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

/** A paid 3-seat monthly pool of a product with a license-key and a note benefit; one seat assigned to `email`. */
async function invite(request: APIRequestContext, email: string): Promise<Org> {
  const org = createOrg();
  const keys = await api(request, org, '/v1/benefits', {
    type: 'license_keys',
    description: 'License key',
    properties: { prefix: 'E2E' },
  });
  const note = await api(request, org, '/v1/benefits', {
    type: 'custom',
    description: 'Onboarding call',
    properties: { note: 'Book your call at cal.example' },
  });
  const product = await api(request, org, '/v1/products', {
    name: 'Team plan',
    recurring_interval: 'month',
    prices: [{ amount_type: 'seat_based', seat_tiers: SEED_TIERS }],
  });
  const auth = { Authorization: `Bearer ${org.access_token}` };
  const attached = await request.post(`/v1/products/${product.id}/benefits`, { data: { benefits: [keys.id, note.id] }, headers: auth });
  expect(attached.status()).toBe(200);
  const checkout = await api(request, org, '/v1/checkouts', { products: [product.id], seats: 3, customer_email: `${unique('billing')}@example.com` });
  const confirmed = await request.post(`/v1/checkouts/client/${checkout.client_secret}/confirm`, { data: { confirmation_token_id: 'tok_visa' } });
  expect(confirmed.status()).toBe(200);
  const paid = await (await request.get(`/v1/checkouts/client/${checkout.client_secret}`)).json();
  const seat = await request.post('/v1/customer-seats', { data: { subscription_id: paid.subscription_id, email }, headers: auth });
  expect(seat.status(), await seat.text()).toBe(200);
  return org;
}

test('an invited person follows the email link, claims the seat and sees their benefits', async ({ page, request }) => {
  const errors = watchErrors(page);
  const email = `${unique('jane')}@example.com`;
  await invite(request, email);

  await page.goto('/dev/mailbox');
  const mail = page.locator(`article[data-to="${email}"]`);
  await expect(mail.getByRole('heading', { name: "You've been invited to access Team plan" })).toBeVisible();
  await mail.getByRole('link', { name: /\/portal\/claim\?token=skp_inv_/ }).click();

  await expect(page.getByRole('heading', { level: 1, name: "You're invited to Team plan" })).toBeVisible();
  await expect(page.getByTestId('invited-email')).toHaveText(email);
  await expect(page.getByText(/UTC$/)).toBeVisible();
  await waitForHydration(page);
  const link = page.url();

  await page.getByRole('button', { name: 'Claim seat' }).click();
  await expect(page.getByRole('heading', { name: 'Your seat is ready' })).toBeVisible();
  await expect(page.getByTestId('license-key')).toHaveText(/^E2E-[0-9A-F]{8}(-[0-9A-F]{8}){3}$/);
  await expect(page.getByText('Book your call at cal.example')).toBeVisible();
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByText('Copied')).toBeVisible();

  await page.goto(link);
  await expect(page.getByRole('heading', { name: "This invitation link can't be used" })).toBeVisible();
  await expect(page.getByText('resend the invitation')).toBeVisible();
  expect(errors).toEqual([]);
});

test('an unknown link explains what to do next', async ({ page }) => {
  await page.goto('/acme/portal/claim?token=skp_inv_unknown');
  await expect(page.getByRole('heading', { name: "This invitation link can't be used" })).toBeVisible();
  await expect(page.getByText('Ask the person who invited you')).toBeVisible();
});

test('the claim page works with the keyboard on a 360 px phone', async ({ page, request }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  const email = `${unique('joe')}@example.com`;
  await invite(request, email);
  await page.goto('/dev/mailbox');
  const href = await page.locator(`article[data-to="${email}"] a`).first().getAttribute('href');
  await page.goto(href!);
  await waitForHydration(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  const button = page.getByRole('button', { name: 'Claim seat' });
  await button.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Your seat is ready' })).toBeVisible();
});
