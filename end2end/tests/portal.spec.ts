import { expect, test } from '@playwright/test';

import { createOrg, portalLink, teamPool, unique, waitForHydration, watchErrors } from './support/seed';

test('the billing manager signs in from the app, invites, resends and revokes a seat', async ({ page, request }) => {
  const errors = watchErrors(page);
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await expect(page).toHaveURL(new RegExp(`/${org.slug}/portal$`));
  await expect(page.getByRole('heading', { level: 1, name: "Your team's seats" })).toBeVisible();
  await waitForHydration(page);

  const pool = page.getByTestId('pool');
  const usage = pool.getByTestId('pool-usage');
  const outcome = page.getByTestId('portal-outcome');
  await expect(usage).toHaveText('0 of 3 seats used · 3 free');
  const email = `${unique('ann')}@example.com`;
  await pool.getByLabel('Email of the person to invite').fill(email);
  await pool.getByRole('button', { name: 'Invite' }).click();
  await expect(outcome).toHaveText(`Invitation sent to ${email}.`);
  await expect(usage).toHaveText('1 of 3 seats used · 2 free');
  const row = pool.getByTestId('seat').filter({ hasText: email });
  await expect(row.locator('.badge')).toHaveText('Pending');

  await expect(pool.getByLabel('Email of the person to invite')).toHaveValue('');
  await row.getByRole('button', { name: 'Resend invitation' }).click();
  await expect(outcome).toHaveText(`Invitation sent again to ${email}.`);
  // The tables are read again after each action: the history now holds the resend.
  await expect(pool).toContainText('The newest 2 of 2 changes.');

  await row.getByText('Revoke…').click();
  await row.getByRole('button', { name: 'Revoke access' }).click();
  await expect(outcome).toHaveText(`Access revoked for ${email}.`);
  await expect(row.locator('.badge')).toHaveText('Revoked');
  await expect(usage).toHaveText('0 of 3 seats used · 3 free');

  await pool.getByLabel('Show').selectOption('pending');
  await expect(pool.getByTestId('seat')).toHaveCount(0);
  await pool.getByLabel('Show').selectOption('revoked');
  await expect(pool.getByTestId('seat')).toHaveCount(1);

  expect(errors).toEqual([]);

  // Signing out: the page reads the overview again, is refused (401: the browser logs it), and
  // says so.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to your seats' })).toBeVisible();

  // Both invitations reached the development mailbox.
  await page.goto('/dev/mailbox');
  await expect(page.locator(`article[data-to="${email}"]`)).toHaveCount(2);
});

test('a mistyped email is refused in words, and nothing is assigned', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  const pool = page.getByTestId('pool');
  // The browser's own check is off here so the server's answer shows.
  await pool.getByLabel('Email of the person to invite').evaluate((input: HTMLInputElement) => { input.type = 'text'; });
  await pool.getByLabel('Email of the person to invite').fill('ann@');
  await pool.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByTestId('portal-outcome')).toHaveText(/^Could not invite: .*name@example\.com/);
  await expect(pool.getByTestId('pool-usage')).toHaveText('0 of 3 seats used · 3 free');
});

test('a member signs in and sees no seat management', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  const auth = { Authorization: `Bearer ${org.access_token}` };
  const seat = await request.post('/v1/customer-seats', {
    data: { subscription_id: paid.subscription_id, email: `${unique('mia')}@example.com`, immediate_claim: true },
    headers: auth,
  });
  expect(seat.status()).toBe(200);
  await page.goto(await portalLink(request, org, paid, (await seat.json()).member_id));
  await expect(page.getByTestId('member-only')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Invite' })).toHaveCount(0);
  await page.getByRole('link', { name: 'See your seats and benefits' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your seats' })).toBeVisible();
});

test('an old sign-in link says so and signs nobody in', async ({ page }) => {
  const org = createOrg();
  await page.goto(`/${org.slug}/portal?customer_session_token=skp_cst_gone`);
  await expect(page).toHaveURL(new RegExp(`/${org.slug}/portal\\?signin=expired$`));
  await expect(page.getByRole('heading', { name: 'Sign in to your seats' })).toBeVisible();
  await expect(page.getByText('That sign-in link has expired')).toBeVisible();
});

test('the billing manager raises the seat count after a preview, then cancels and resumes', async ({ page, request }) => {
  const errors = watchErrors(page);
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  const pool = page.getByTestId('pool');
  await pool.getByText('Change seats or cancel').click();
  await pool.getByLabel('Seats', { exact: true }).fill('5');
  // Priced in the browser by the shared tier code: 5 seats fall in the $9 tier.
  await expect(pool.getByTestId('live-price')).toHaveText('5 seats: $45.00 / month');
  await pool.getByRole('button', { name: 'Preview change' }).click();
  // The server's preview (the API's change-preview, computed by the change's own code): added
  // seats apply now, their proration waits for the renewal.
  const preview = pool.getByTestId('seat-preview');
  await expect(preview).toContainText(/^5 seats from now, for \$45\.00 per period\. The next renewal on .* bills \$\d+\.\d\d\./);
  await pool.getByRole('button', { name: 'Confirm change' }).click();
  await expect(page.getByTestId('portal-outcome')).toHaveText('Seat count changed for Team plan.');
  await expect(pool.getByTestId('pool-usage')).toHaveText('0 of 5 seats used · 5 free');
  await expect(pool.getByTestId('seat-preview')).toHaveCount(0);
  const subscription = await (await request.get(`/v1/subscriptions/${paid.subscription_id}`, { headers: { Authorization: `Bearer ${org.access_token}` } })).json();
  expect([subscription.seats, subscription.amount]).toEqual([5, 4500]);

  await pool.getByText('Change seats or cancel').click();
  await pool.getByRole('button', { name: 'Cancel subscription' }).click();
  await expect(page.getByTestId('portal-outcome')).toHaveText('Team plan is cancelled: its seats last until the period ends.');
  await expect(pool).toContainText('Cancelled: ends on');
  // The page is updated in place: the section stays open, now offering to resume.
  await pool.getByRole('button', { name: 'Resume subscription' }).click();
  await expect(page.getByTestId('portal-outcome')).toHaveText('Team plan renews again.');
  await expect(pool).toContainText('Renews on');
  expect(errors).toEqual([]);
});

test('the billing manager pastes a list, sees it sorted out, and invites until the pool is full', async ({ page, request }) => {
  const errors = watchErrors(page);
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  const pool = page.getByTestId('pool');
  await pool.getByText('Invite many').click();
  const [a, b, c, d] = ['ava', 'ben', 'cal', 'dot'].map((name) => `${unique(name)}@example.com`);
  await pool.getByLabel(/^Emails:/).fill(`name,email\nAva,${a}\nBen,${b}\nnot-an-email@\nCal,${c}\nDot,${d}\n${a}`);
  await expect(pool.getByTestId('invite-plan')).toHaveText(
    '4 to invite · 1 not emails · 1 already there or repeated. Only 3 seats are free: the first 3 are invited. Not emails: not-an-email@.',
  );
  await pool.getByRole('button', { name: 'Invite 4 people' }).click();
  await expect(page.getByTestId('portal-outcome')).toHaveText(
    `Invited 3 people. No seat was left for: ${d}. Skipped: not-an-email@, ${a}.`,
  );
  await expect(pool.getByTestId('pool-usage')).toHaveText('3 of 3 seats used · 0 free');
  for (const email of [a, b, c]) {
    await expect(pool.getByTestId('seat').filter({ hasText: email })).toHaveCount(1);
  }
  expect(errors).toEqual([]);
});

test('the billing manager uploads a CSV file, which joins the list as if pasted', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  const pool = page.getByTestId('pool');
  await pool.getByText('Invite many').click();
  const [a, b] = ['eve', 'fay'].map((name) => `${unique(name)}@example.com`);
  await pool.getByLabel(/^Emails:/).fill(a);
  await pool.getByLabel('Or add the emails of a CSV file').setInputFiles({
    name: 'team.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`name,email\r\nFay,${b}\r\nEve again,${a}\r\n`),
  });
  await expect(pool.getByTestId('invite-plan')).toHaveText('2 to invite · 0 not emails · 1 already there or repeated.');
  await pool.getByRole('button', { name: 'Invite 2 people' }).click();
  await expect(page.getByTestId('portal-outcome')).toContainText('Invited 2 people.');
  await expect(pool.getByTestId('pool-usage')).toHaveText('2 of 3 seats used · 1 free');
});

test('the billing manager reassigns a seat to someone else in one step', async ({ page, request }) => {
  const errors = watchErrors(page);
  const org = createOrg();
  const paid = await teamPool(request, org);
  const ann = `${unique('ann')}@example.com`;
  const bob = `${unique('bob')}@example.com`;
  const invited = await request.post('/v1/customer-seats', {
    data: { subscription_id: paid.subscription_id, email: ann },
    headers: { Authorization: `Bearer ${org.access_token}` },
  });
  expect(invited.status()).toBe(200);
  await page.goto(await portalLink(request, org, paid));
  await waitForHydration(page);
  const pool = page.getByTestId('pool');
  const usage = pool.getByTestId('pool-usage');
  await expect(usage).toHaveText('1 of 3 seats used · 2 free');

  const row = pool.getByTestId('seat').filter({ hasText: ann });
  await row.getByText('Reassign…').click();
  await row.getByLabel("New holder's email").fill(bob);
  await row.getByRole('button', { name: 'Reassign' }).click();
  await expect(page.getByTestId('portal-outcome')).toHaveText(`Seat reassigned: invitation sent to ${bob}.`);
  await expect(row.locator('.badge')).toHaveText('Revoked');
  await expect(pool.getByTestId('seat').filter({ hasText: bob }).locator('.badge')).toHaveText('Pending');
  // One place, handed on: the count never moved.
  await expect(usage).toHaveText('1 of 3 seats used · 2 free');
  await expect(pool).toContainText(`Reassigned: ${ann} → ${bob} by the billing manager`);
  expect(errors).toEqual([]);
});

test('a billing manager signs in with a code from the sign-in email', async ({ page, request }) => {
  const org = createOrg();
  const paid = await teamPool(request, org);
  const customer = await (await request.get(`/v1/customers/${paid.customer_id}`, {
    headers: { Authorization: `Bearer ${org.access_token}` },
  })).json();
  await page.goto(`/${org.slug}/portal`);
  await expect(page.getByRole('heading', { name: 'Sign in to your seats' })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel('Your email').fill(customer.email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByRole('status')).toContainText(`If ${customer.email} can manage or holds seats here, a code is on its way.`);

  // A wrong code is refused in words.
  await page.getByLabel('Code from the email').fill('AAAA-BBBB');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('That code is not valid any more');

  await page.goto('/dev/mailbox');
  const mail = page.locator(`article[data-to="${customer.email}"]`);
  await expect(mail.getByRole('heading', { name: /^Your sign-in code for / })).toBeVisible();
  await mail.getByRole('link', { name: /\/portal\?code=/ }).first().click();
  await expect(page.getByLabel('Code from the email')).toHaveValue(/^[A-Z2-9]{12}$/);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: "Your team's seats" })).toBeVisible();
  await expect(page.getByTestId('pool-usage')).toHaveText('0 of 3 seats used · 3 free');
});
