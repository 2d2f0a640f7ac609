import { describeThreeWorkers, usePds } from "./suites";

describeThreeWorkers(usePds(), 500);
