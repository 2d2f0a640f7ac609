import { describeRedisDownApi, usePds } from "./suites";

describeRedisDownApi(usePds(), 50);
