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
