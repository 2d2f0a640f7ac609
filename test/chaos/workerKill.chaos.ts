import { describeWorkerKill, usePds } from "./suites";

describeWorkerKill(usePds(), 500);
