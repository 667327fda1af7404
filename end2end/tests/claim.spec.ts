import { expect, test } from '@playwright/test';

import { invite, unique, waitForHydration, watchErrors } from './support/seed';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

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
  await expect(page.getByTestId('license-key')).toHaveText(/^E2E-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  await expect(page.getByText('Book your call at cal.example')).toBeVisible();
  // The merchant did not let holders see their activations (`enable_customer_admin`): none are shown.
  await expect(page.getByTestId('activations')).toHaveCount(0);
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
