export { DestinationPolicy, DestinationRefusedError, type DestinationRules } from './destination-policy';
export { EgressModule } from './egress.module';
export { type GuardedRequestOptions, guardedRequest } from './guarded-request';
export { HostResolver, SystemHostResolver } from './host-resolver';
export { isPublicAddress } from './special-purpose-addresses';
