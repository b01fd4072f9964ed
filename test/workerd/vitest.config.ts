import { workerdProject } from './project.ts';

// Rules' timing shortened (docs/rules.md): an escalation's minute is 300 ms, the first webhook retry ~50 ms.
export default workerdProject({
  name: 'workerd',
  dir: 'test/workerd',
  bindings: { RULES_MINUTE_MS: '300', WEBHOOK_BACKOFF_BASE_MS: '50' },
});
