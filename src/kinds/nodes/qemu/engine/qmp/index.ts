// QMP: the QEMU Machine Protocol client the qemu node kind uses for quit, reset and set_link.
export { QMP_COMMAND_TIMEOUT_MS, QMP_CONNECT_TIMEOUT_MS, QmpClient, QmpError } from './client.js';
