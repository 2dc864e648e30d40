import { CreateJobs1764043200000 } from './1764043200000-CreateJobs';
import { AddPredictionId1764129600000 } from './1764129600000-AddPredictionId';
import { IndexJobsByStatusAndUpdate1764216000000 } from './1764216000000-IndexJobsByStatusAndUpdate';
import { JobOwnershipAndIdempotency1795582244291 } from './1795582244291-JobOwnershipAndIdempotency';
import { WebhookDeliveries1795582929913 } from './1795582929913-WebhookDeliveries';
import { OutputsExpiry1795583900000 } from './1795583900000-OutputsExpiry';
import { JobProgressAndAttemptHistory1795600000000 } from './1795600000000-JobProgressAndAttemptHistory';
import { JobOutputShape1795700000000 } from './1795700000000-JobOutputShape';
import { DropUnreadJobIndexes1795800000000 } from './1795800000000-DropUnreadJobIndexes';

/** Every migration, oldest first. Add each new one here after reviewing the generated SQL. */
export const migrations = [
  CreateJobs1764043200000,
  AddPredictionId1764129600000,
  IndexJobsByStatusAndUpdate1764216000000,
  JobOwnershipAndIdempotency1795582244291,
  WebhookDeliveries1795582929913,
  OutputsExpiry1795583900000,
  JobProgressAndAttemptHistory1795600000000,
  JobOutputShape1795700000000,
  DropUnreadJobIndexes1795800000000,
];
