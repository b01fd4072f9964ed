import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../types.ts';
import { SECURITY_HEADERS, securityHeaders } from './index.ts';

describe('worker > middleware > security-headers', () => {
  it('sets every security header on an answer, an error answer included', async () => {
    const app = new Hono<AppEnv>();
    app.use('*', securityHeaders());
    app.get('/ok', (c) => c.text('ok'));
    app.get('/missing', (c) => c.text('no', 404));
    for (const path of ['/ok', '/missing', '/no-route']) {
      const res = await app.request(path);
      for (const [name, value] of Object.entries(SECURITY_HEADERS))
        expect(res.headers.get(name), `${path} ${name}`).toBe(value);
    }
  });

  it('takes other headers when given', async () => {
    const app = new Hono<AppEnv>();
    app.use('*', securityHeaders({ headers: { 'x-frame-options': 'SAMEORIGIN' } }));
    app.get('/', (c) => c.text('ok'));
    const res = await app.request('/');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });
});
