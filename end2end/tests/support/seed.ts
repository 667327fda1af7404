/**
 * Test data, made through the product's own doors: `seatkeeper org create --json` for an
 * organization and its token, then the REST API for everything else. Each call makes fresh,
 * uniquely named data, so no test depends on another's.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

import { expect, type APIRequestContext, type Page } from '@playwright/test';

import { BIN, DATABASE_URL } from './env';

export interface Org {
  organization_id: string;
  slug: string;
  access_token: string;
}

export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function createOrg(): Org {
  const slug = unique('e2e');
  const out = execFileSync(BIN, ['org', 'create', '--name', `Org ${slug}`, '--slug', slug, '--json', '--database-url', DATABASE_URL]);
  return JSON.parse(out.toString());
}

export async function api<T = any>(request: APIRequestContext, org: Org, path: string, body: unknown): Promise<T> {
  const response = await request.post(path, { data: body, headers: { Authorization: `Bearer ${org.access_token}` } });
  expect(response.status(), await response.text()).toBe(201);
  return response.json();
}

/** Tiers 1–4 @ $10, 5–9 @ $9, 10+ @ $8 (volume), as in the seeds. */
export const SEED_TIERS = {
  seat_tier_type: 'volume',
  tiers: [
    { min_seats: 1, max_seats: 4, price_per_seat: 1000 },
    { min_seats: 5, max_seats: 9, price_per_seat: 900 },
    { min_seats: 10, price_per_seat: 800 },
  ],
};

export async function waitForHydration(page: Page) {
  await expect(page.getByTestId('app')).toHaveAttribute('data-hydrated', 'true');
}

/** Collects console errors and uncaught exceptions. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** A paid 3-seat monthly pool of a product with a license-key and a note benefit; one seat assigned to `email`. */
export async function invite(request: APIRequestContext, email: string): Promise<Org> {
  const org = createOrg();
  await inviteIn(request, org, email);
  return org;
}

/** [`invite`] in an existing organization. */
export async function inviteIn(request: APIRequestContext, org: Org, email: string): Promise<void> {
  const paid = await teamPool(request, org);
  const auth = { Authorization: `Bearer ${org.access_token}` };
  const seat = await request.post('/v1/customer-seats', { data: { subscription_id: paid.subscription_id, email }, headers: auth });
  expect(seat.status(), await seat.text()).toBe(200);
}

/** A paid `seats`-seat (3 by default) monthly pool of "Team plan" (a license key and a note per seat), bought by a new
 * billing customer; the paid checkout (`subscription_id`, `customer_id`). */
export async function teamPool(request: APIRequestContext, org: Org, seats = 3): Promise<any> {
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
  const checkout = await api(request, org, '/v1/checkouts', { products: [product.id], seats, customer_email: `${unique('billing')}@example.com` });
  const confirmed = await request.post(`/v1/checkouts/client/${checkout.client_secret}/confirm`, { data: { confirmation_token_id: 'tok_visa' } });
  expect(confirmed.status()).toBe(200);
  return (await request.get(`/v1/checkouts/client/${checkout.client_secret}`)).json();
}

/** The portal address of a new session of the pool's customer (its owner, or `memberId`), as a
 * path with its `customer_session_token`. */
export async function portalLink(request: APIRequestContext, org: Org, paid: any, memberId?: string): Promise<string> {
  const session = await api(request, org, '/v1/customer-sessions', memberId ? { customer_id: paid.customer_id, member_id: memberId } : { customer_id: paid.customer_id });
  const url = new URL(session.customer_portal_url);
  return url.pathname + url.search;
}
