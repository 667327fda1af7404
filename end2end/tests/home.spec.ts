import { expect, test } from '@playwright/test';

import { waitForHydration, watchErrors } from './support/seed';

test('the home page hydrates and re-checks the server through a server function', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1, name: 'Seatkeeper' })).toBeVisible();
  await expect(page.getByText('SQLite — reachable')).toBeVisible();
  await expect(page.getByTestId('demo')).toContainText('Demo Company');
  await waitForHydration(page);

  const check = page.getByRole('button', { name: 'Check again' });
  await check.click();
  // Other tests create organizations in parallel: the count is at least the demo's one.
  await expect(page.getByTestId('status-check-result')).toHaveText(
    /^Database reachable \(SQLite\), \d+ organizations?\.$/,
  );
  await expect(check).toBeEnabled();
  expect(errors).toEqual([]);
});

test('the home page links to the API document and the health checks', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'API document (OpenAPI)' })).toHaveAttribute('href', '/openapi.json');
  await page.getByRole('link', { name: 'Health check' }).click();
  await expect(page.locator('body')).toContainText('"status":"ok"');
});

test('an unknown address shows a page-not-found page with a way home', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await page.getByRole('link', { name: 'home page' }).click();
  await expect(page).toHaveURL('/');
});

test('the home page fits a 360 px wide phone without horizontal scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/');
  await waitForHydration(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'test-results/home-360.png', fullPage: true });
});

test('the status check can be reached and run with the keyboard', async ({ page }) => {
  await page.goto('/');
  await waitForHydration(page);
  const check = page.getByRole('button', { name: 'Check again' });
  await check.focus();
  await expect(check).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('status-check-result')).toContainText('Database reachable');
});

test('the theme switch turns the page dark at once and the choice holds on the next page', async ({ page }) => {
  const errors = watchErrors(page);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/');
  await waitForHydration(page);
  const html = page.locator('html');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  const theme = page.getByRole('navigation', { name: 'Colour theme' });
  await expect(theme.getByRole('button', { name: 'System' })).toHaveAttribute('aria-pressed', 'true');

  await theme.getByRole('button', { name: 'Dark' }).click();
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await expect(theme.getByRole('button', { name: 'Dark' })).toHaveAttribute('aria-pressed', 'true');
  expect(await background()).not.toBe(light);

  // The server renders the next page dark from the first byte (the cookie), whatever the system says.
  await page.goto('/acme/portal');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  expect(await background()).not.toBe(light);

  await waitForHydration(page);
  await page.getByRole('navigation', { name: 'Colour theme' }).getByRole('button', { name: 'System' }).click();
  await expect(html).not.toHaveAttribute('data-theme', /.*/);
  expect(await background()).toBe(light);
  expect(errors).toEqual([]);
});
