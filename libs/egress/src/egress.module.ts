import { type EgressConfig, egressConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { DestinationPolicy } from './destination-policy';
import { HostResolver, SystemHostResolver } from './host-resolver';

/** The egress policy every outgoing request made on a client's or a model's behalf goes through. */
@Module({
  providers: [
    { provide: HostResolver, useClass: SystemHostResolver },
    {
      provide: DestinationPolicy,
      inject: [egressConfig.KEY, HostResolver],
      useFactory: (config: EgressConfig, resolver: HostResolver) => new DestinationPolicy(config.allowHosts, resolver),
    },
  ],
  exports: [DestinationPolicy, HostResolver],
})
export class EgressModule {}
