export { MemcachedServer, stopAllMemcached, type MemcachedServerOptions } from './memcached-server.js';
export { makeSaslConfig, type SaslCredentials } from './sasl-db.js';
export { freePort } from './free-port.js';
export { waitForPort } from './wait-for-port.js';
export { metaTtl } from './meta-ttl.js';
export { runPython, SYSTEM_PYTHON } from './python.js';
export { startDelayProxy } from './delay-proxy.js';
export { startBlackHole, startFaultServer, type FaultServer } from './tracked-server.js';
export { importSecondCopy, type SecondCopy } from './second-copy.js';
