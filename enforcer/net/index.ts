// The pure IP utilities in one import: normalisation, versions, 16-byte keys, CIDRs and matchers.
export { normaliseIp, ipVersion, ipToBytes, ipKey, bytesToKey, isLoopback } from './ip.js';
export { parseCidr, cidrRange, buildMatcher, type Cidr } from './cidr.js';
