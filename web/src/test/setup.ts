import { cleanup } from '@solidjs/testing-library';
import { afterEach } from 'vitest';

// Without vitest globals the library cannot register its own cleanup: unmount after each test.
afterEach(() => cleanup());
