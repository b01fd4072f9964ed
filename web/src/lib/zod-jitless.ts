/**
 * zod without its eval-compiled fast path, set before any schema is built (zod decides at
 * construction): its probe for eval (`new Function`) would be refused by the dashboard's CSP
 * (script-src 'self', no 'unsafe-eval') and reported as a violation, caught or not. Import it
 * first, before any module that builds schemas (protocol/schemas/event.ts).
 */
import { z } from 'zod';

z.config({ jitless: true });
