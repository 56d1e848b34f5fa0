/** Build the configured channels by `type`. */
import type { ChannelConfig } from '../config/schema.js';
import { AliyunSms } from './aliyun-sms.js';
import { ConsoleChannel, KafkaDept } from './local.js';
import { Dingtalk, Wecom } from './robots.js';
import { TencentSms } from './tencent-sms.js';
import type { Channel, ChannelDeps } from './types.js';
import { Webhook } from './webhook.js';

export function createChannel(name: string, cfg: ChannelConfig, deps: ChannelDeps): Channel {
  switch (cfg.type) {
    case 'sms-aliyun':
      return new AliyunSms(name, cfg, deps);
    case 'sms-tencent':
      return new TencentSms(name, cfg, deps);
    case 'dingtalk':
      return new Dingtalk(name, cfg, deps);
    case 'wecom':
      return new Wecom(name, cfg, deps);
    case 'webhook':
      return new Webhook(name, cfg, deps);
    case 'kafka-dept':
      return new KafkaDept(name, deps);
    case 'console':
      return new ConsoleChannel(name, deps);
  }
}

export function createChannels(cfgs: Readonly<Record<string, ChannelConfig>>, deps: ChannelDeps): Map<string, Channel> {
  const out = new Map<string, Channel>();
  for (const [name, cfg] of Object.entries(cfgs)) out.set(name, createChannel(name, cfg, deps));
  return out;
}
