// The pure IP utilities in one import: normalisation, versions, 16-byte keys, CIDRs and matchers.
export { normaliseIp, ipVersion, ipToBytes, ipKey, bytesToKey, isLoopback } from './ip.js';
export {
  parseCidr, cidrRange, buildMatcher, cidrContains, cidrOverlaps, normaliseBanKey, banKeyProblem, banKeyParts, coveringKeys, cidrEnds,
  MIN_BAN_PREFIX, type Cidr, type BanKeyParts,
} from './cidr.js';
export { clientKey } from './client-key.js';
