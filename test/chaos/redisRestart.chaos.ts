import { describeRedisRestart, usePds } from "./suites";

describeRedisRestart(usePds(), 500);
