import { workerdProject } from './project.ts';

export default workerdProject({ name: 'workerd', dir: 'test/workerd' });
