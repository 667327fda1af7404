/**
 * Screenshots of the pages a stranger's browser meets, in light and dark and on a 360 px phone, for
 * people to look at (test-results/screens/), with an accessibility check of each (axe, WCAG 2.1 AA)
 * in both colour schemes.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

import { createOrg, invite, portalLink, teamPool, unique, waitForHydration } from './support/seed';

async function shoot(page: Page, name: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help}`), `${name} (${scheme})`).toEqual([]);
    await page.screenshot({ path: `test-results/screens/${name}-${scheme}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 360, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${name} fits 360 px`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `test-results/screens/${name}-360.png`, fullPage: true });
}

test('the claim page, the seats page and the checkout, in light, dark and on a phone', async ({ page, request }) => {
  const email = `${unique('screens')}@example.com`;
  const org = await invite(request, email);
  await page.goto('/dev/mailbox');
  const href = await page.locator(`article[data-to="${email}"] a`).first().getAttribute('href');
  await page.goto(href!);
  await waitForHydration(page);
  await shoot(page, 'claim');

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Claim seat' }).click();
  await expect(page.getByRole('heading', { name: 'Your seat is ready' })).toBeVisible();
  await page.goto(`/${org.slug}/portal/seats`);
  await expect(page.getByRole('heading', { level: 1, name: 'Your seats' })).toBeVisible();
  await waitForHydration(page);
  await shoot(page, 'seats');

  await page.setViewportSize({ width: 1280, height: 800 });
  const checkouts = await (await request.get('/v1/checkouts?limit=1', { headers: { Authorization: `Bearer ${org.access_token}` } })).json();
  const open = await request.post('/v1/checkouts', {
    headers: { Authorization: `Bearer ${org.access_token}` },
    data: { products: [checkouts.items[0].product_id], seats: 6 },
  });
  await page.goto(`/checkout/${(await open.json()).client_secret}`);
  await waitForHydration(page);
  await shoot(page, 'checkout');
});

test('the billing manager\'s portal, in light, dark and on a phone', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  const auth = { Authorization: `Bearer ${org.access_token}` };
  for (const [name, claim] of [['ann', true], ['bob', false], ['cy', false]] as const) {
    const seat = await request.post('/v1/customer-seats', {
      data: { subscription_id: paid.subscription_id, email: `${unique(name)}@example.com`, immediate_claim: claim },
      headers: auth,
    });
    expect(seat.status()).toBe(200);
  }
  await page.goto(await portalLink(request, org, paid));
  await expect(page.getByRole('heading', { level: 1, name: "Your team's seats" })).toBeVisible();
  // With a seat-count preview asked for, its section opens.
  await page.goto(`/${org.slug}/portal?preview=${paid.subscription_id}&seats=5`);
  await expect(page.getByTestId('seat-preview')).toBeVisible();
  await waitForHydration(page);
  await page.getByText('Revoke…').first().click();
  await shoot(page, 'portal');
});

test('the portal\'s sign-in page and a seat being reassigned, in light, dark and on a phone', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(`/${org.slug}/portal?code=ABCD-EFGH-JKLM`);
  await expect(page.getByRole('heading', { name: 'Sign in to your seats' })).toBeVisible();
  await waitForHydration(page);
  await shoot(page, 'portal-sign-in');

  await page.setViewportSize({ width: 1280, height: 800 });
  const seat = await request.post('/v1/customer-seats', {
    data: { subscription_id: paid.subscription_id, email: `${unique('dee')}@example.com` },
    headers: { Authorization: `Bearer ${org.access_token}` },
  });
  expect(seat.status()).toBe(200);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  await page.getByText('Reassign…').first().click();
  await shoot(page, 'portal-reassign');
});

test('the portal chosen dark with the theme switch, while the system is light', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.getByRole('navigation', { name: 'Colour theme' }).getByRole('button', { name: 'Dark' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.screenshot({ path: 'test-results/screens/portal-chosen-dark.png', fullPage: true });
});
