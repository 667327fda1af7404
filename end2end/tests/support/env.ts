/** Where the server under test lives: one place for the port, the binary and the database. */
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');

export const PORT = Number(process.env.E2E_PORT ?? 3457);
export const BIN = process.env.SEATKEEPER_BIN ?? path.join(root, 'target', 'release', 'seatkeeper');
export const DATA_DIR = path.join(root, 'target', 'e2e');
export const DATABASE_URL = `sqlite://${DATA_DIR}/e2e.db`;
