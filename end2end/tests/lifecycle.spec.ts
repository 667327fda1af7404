/**
 * The whole life of a team's seats as people live it, in one browser session: the merchant's API
 * sells the seats, the billing manager invites from the portal (one by one and by CSV file), an
 * invitee claims from the email and copies the license key, the billing manager revokes and resends
 * (the old link dies), buys more seats after a preview that says what will be charged, and a member
 * who signs in cannot manage seats.
 */
import { expect, test } from '@playwright/test';

import { createOrg, portalLink, teamPool, unique, waitForHydration, watchErrors } from './support/seed';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

test('a team\'s seats from purchase to renewal preview, as the billing manager and the invitees live it', async ({ page, request }) => {
  test.setTimeout(120_000);
  const errors = watchErrors(page);
  const org = createOrg();
  const auth = { Authorization: `Bearer ${org.access_token}` };
  const paid = await teamPool(request, org, 8);

  // The billing manager opens the link the merchant's app hands out.
  await page.goto(await portalLink(request, org, paid));
  await expect(page.getByRole('heading', { level: 1, name: "Your team's seats" })).toBeVisible();
  await waitForHydration(page);
  const pool = page.getByTestId('pool');
  const usage = pool.getByTestId('pool-usage');
  const outcome = page.getByTestId('portal-outcome');
  await expect(usage).toHaveText('0 of 8 seats used · 8 free');

  // Two people one by one.
  const [ann, bob] = ['ann', 'bob'].map((name) => `${unique(name)}@example.com`);
  for (const email of [ann, bob]) {
    await pool.getByLabel('Email of the person to invite').fill(email);
    await pool.getByRole('button', { name: 'Invite' }).click();
    await expect(outcome).toHaveText(`Invitation sent to ${email}.`);
  }
  // Five from a CSV file.
  const five = ['cy', 'dee', 'eli', 'fay', 'gus'].map((name) => `${unique(name)}@example.com`);
  await pool.getByText('Invite many').click();
  await pool.getByLabel('Or add the emails of a CSV file').setInputFiles({
    name: 'team.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(['name,email', ...five.map((email, i) => `Person ${i},${email}`)].join('\n')),
  });
  await expect(pool.getByTestId('invite-plan')).toHaveText('5 to invite · 0 not emails · 0 already there or repeated.');
  await pool.getByRole('button', { name: 'Invite 5 people' }).click();
  await expect(outcome).toHaveText(/^Invited 5 people\./);
  await expect(usage).toHaveText('7 of 8 seats used · 1 free');

  // Every invitation reached the mailbox; Ann claims hers and copies her key.
  const portal = page.url();
  await page.goto('/dev/mailbox');
  for (const email of [ann, bob, ...five]) {
    await expect(page.locator(`article[data-to="${email}"]`)).toHaveCount(1);
  }
  await page.locator(`article[data-to="${ann}"]`).getByRole('link', { name: /\/portal\/claim\?token=skp_inv_/ }).click();
  await expect(page.getByTestId('invited-email')).toHaveText(ann);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Claim seat' }).click();
  await expect(page.getByRole('heading', { name: 'Your seat is ready' })).toBeVisible();
  const key = page.getByTestId('license-key');
  await expect(key).toHaveText(/^E2E-/);
  await page.getByRole('button', { name: 'Copy' }).click();
  await expect(page.getByText('Copied')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await key.textContent());
  // Claiming signed Ann's browser in as a member: the billing manager's portal is one with a link.
  await page.context().clearCookies();

  // The billing manager sees the claim, revokes Bob and resends Cy's invitation.
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  await expect(pool.getByTestId('seat').filter({ hasText: ann }).locator('.badge')).toHaveText('Claimed');
  const bobRow = pool.getByTestId('seat').filter({ hasText: bob });
  await bobRow.getByText('Revoke…').click();
  await bobRow.getByRole('button', { name: 'Revoke access' }).click();
  await expect(outcome).toHaveText(`Access revoked for ${bob}.`);
  await page.goto('/dev/mailbox');
  const cyLink = await page.locator(`article[data-to="${five[0]}"] a`).first().getAttribute('href');
  await page.goto(portal.replace(/\?.*$/, ''));
  await waitForHydration(page);
  await pool.getByTestId('seat').filter({ hasText: five[0] }).getByRole('button', { name: 'Resend invitation' }).click();
  await expect(outcome).toHaveText(`Invitation sent again to ${five[0]}.`);
  await expect(usage).toHaveText('6 of 8 seats used · 2 free');
  // Cy's first link is dead now (and so is Bob's).
  await page.goto(cyLink!);
  await expect(page.getByRole('heading', { name: "This invitation link can't be used" })).toBeVisible();

  // More seats: the page's preview says what the renewal will bill, as the API computes it.
  await page.goto(portal.replace(/\?.*$/, ''));
  await waitForHydration(page);
  await pool.getByText('Change seats or cancel').click();
  await pool.getByLabel('Seats', { exact: true }).fill('10');
  await expect(pool.getByTestId('live-price')).toHaveText('10 seats: $80.00 / month');
  const asked = await (await request.post(`/v1/subscriptions/${paid.subscription_id}/change-preview`, { headers: auth, data: { seats: 10 } })).json();
  await pool.getByRole('button', { name: 'Preview change' }).click();
  const billed = `$${(asked.next_renewal_amount / 100).toFixed(2)}`;
  await expect(pool.getByTestId('seat-preview')).toContainText(`bills ${billed}.`);
  await pool.getByRole('button', { name: 'Confirm change' }).click();
  await expect(outcome).toHaveText('Seat count changed for Team plan.');
  await expect(usage).toHaveText('6 of 10 seats used · 4 free');
  const subscription = await (await request.get(`/v1/subscriptions/${paid.subscription_id}`, { headers: auth })).json();
  expect([subscription.seats, subscription.amount]).toEqual([10, 8000]);
  expect(errors).toEqual([]);

  // Ann, a member, signs in from a link of her own: her seats, no seat management.
  const seats = await (await request.get(`/v1/customer-seats?subscription_id=${paid.subscription_id}`, { headers: auth })).json();
  const annSeat = seats.seats.find((seat: any) => seat.email === ann);
  await page.goto(await portalLink(request, org, paid, annSeat.member_id));
  await expect(page.getByTestId('member-only')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Invite' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Revoke access' })).toHaveCount(0);
});
