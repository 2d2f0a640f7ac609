import {
  describeFaultyNetwork,
  describePostgresRestart,
  describeQueueWipe,
  describeRedisDownApi,
  describeRedisRestart,
  describeThreeWorkers,
  describeWorkerKill,
  usePds,
} from "./suites";

/**
 * Every chaos scenario, small (the full sizes run with `npm run test:chaos`). Scenarios run
 * one after another in this file so CI covers all of them without a second runner.
 */
const pds = usePds();
describeWorkerKill(pds, 60);
describeRedisRestart(pds, 60);
describeQueueWipe(pds, 60);
describePostgresRestart(pds, 60);
describeThreeWorkers(pds, 60);
describeFaultyNetwork(pds, 60);
describeRedisDownApi(pds, 10);
