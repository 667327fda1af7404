import { expect, test } from '@playwright/test';

import { api, createOrg, SEED_TIERS, unique, waitForHydration, watchErrors } from './support/seed';

async function openCheckout(request: Parameters<typeof api>[0], seats: number, interval: string | null = 'month') {
  const org = createOrg();
  const product = await api(request, org, '/v1/products', {
    name: 'Team plan',
    recurring_interval: interval,
    prices: [{ amount_type: 'seat_based', seat_tiers: SEED_TIERS }],
  });
  const checkout = await api(request, org, '/v1/checkouts', { products: [product.id], seats });
  return { org, checkout };
}

test('the total follows the seat count across a tier boundary and a test card pays', async ({ page, request }) => {
  const errors = watchErrors(page);
  const { checkout } = await openCheckout(request, 4);
  await page.goto(`/checkout/${checkout.client_secret}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Team plan' })).toBeVisible();
  await waitForHydration(page);

  const total = page.getByTestId('total');
  await expect(total).toHaveText('Total: $40.00 / month');
  await expect(page.getByTestId('tier-1')).toHaveAttribute('aria-current', 'true');

  const seats = page.getByLabel('Seats');
  await seats.fill('5');
  await expect(total).toHaveText('Total: $45.00 / month');
  await expect(page.getByTestId('tier-2')).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('tier-1')).not.toHaveAttribute('aria-current', 'true');
  await seats.fill('12');
  await expect(total).toHaveText('Total: $96.00 / month');
  await expect(page.getByTestId('tier-3')).toHaveAttribute('aria-current', 'true');

  await page.getByLabel('Email').fill(`${unique('buyer')}@example.com`);
  await page.getByRole('button', { name: 'Pay with test card' }).click();
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
  // The buyer's portal session is an HttpOnly, SameSite=Lax cookie (a link from the merchant's app lands
  // signed in; another site's POST carries none): never in the page, a link or the address bar.
  const session = (await page.context().cookies()).find((c) => c.name === 'seatkeeper_session');
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe('Lax');
  expect(await page.content()).not.toContain('skp_cst_');
  expect(page.url()).not.toContain('skp_cst_');

  const after = await (await request.get(`/v1/checkouts/client/${checkout.client_secret}`)).json();
  expect(after.status).toBe('succeeded');
  expect(after.seats).toBe(12);
  expect(after.amount).toBe(9600);
  expect(errors).toEqual([]);
});

test('a declined card shows why, creates nothing, and the buyer can retry', async ({ page, request }) => {
  const { checkout } = await openCheckout(request, 3, null);
  await page.goto(`/checkout/${checkout.client_secret}`);
  await waitForHydration(page);
  await expect(page.getByTestId('total')).toHaveText('Total: $30.00');
  await page.getByLabel('Email').fill(`${unique('buyer')}@example.com`);

  await page.getByRole('button', { name: 'Pay with a declined test card' }).click();
  await expect(page.getByRole('alert')).toContainText('declined');
  const open = await (await request.get(`/v1/checkouts/client/${checkout.client_secret}`)).json();
  expect(open.status).toBe('open');

  await page.getByRole('button', { name: 'Pay with test card' }).click();
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
});

test('a seat count outside the tiers cannot be paid and says the range', async ({ page, request }) => {
  const { checkout } = await openCheckout(request, 2);
  await page.goto(`/checkout/${checkout.client_secret}`);
  await waitForHydration(page);
  await page.getByLabel('Seats').fill('1001');
  await expect(page.getByTestId('total')).toHaveText('Choose between 1 and 1000 seats.');
  await expect(page.getByRole('button', { name: 'Pay with test card' })).toBeDisabled();
});

test('the checkout can be completed with the keyboard alone', async ({ page, request }) => {
  const { checkout } = await openCheckout(request, 2);
  await page.goto(`/checkout/${checkout.client_secret}`);
  await waitForHydration(page);
  await page.getByLabel('Seats').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('6');
  await expect(page.getByTestId('total')).toHaveText('Total: $54.00 / month');
  await expect(page.getByLabel('Seats')).toHaveValue('6');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email')).toBeFocused();
  const email = `${unique('buyer')}@example.com`;
  await page.keyboard.type(email);
  // Every keystroke landed (a failure here names the value the page kept).
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Pay with test card' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Payment received' })).toBeVisible();
});

test('an unknown checkout link says so', async ({ page }) => {
  await page.goto('/checkout/skp_chk_nope');
  await expect(page.getByRole('heading', { name: 'Checkout not found' })).toBeVisible();
});

test('the checkout fits a 360 px wide phone', async ({ page, request }) => {
  const { checkout } = await openCheckout(request, 5);
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`/checkout/${checkout.client_secret}`);
  await waitForHydration(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'test-results/checkout-360.png', fullPage: true });
});
