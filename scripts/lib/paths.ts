/** Where the repository is, for every script, benchmark and test that spawns or reads its files. */
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
