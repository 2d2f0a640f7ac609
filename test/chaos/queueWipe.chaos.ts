import { describeQueueWipe, usePds } from "./suites";

describeQueueWipe(usePds(), 200);
