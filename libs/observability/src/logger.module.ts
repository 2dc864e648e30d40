import { type AppConfig, appConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/** Structured JSON logs through pino, shared by both apps. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (app: AppConfig) => ({
        pinoHttp: {
          level: app.logLevel,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          autoLogging: { ignore: (req) => req.url === '/favicon.ico' || req.url === '/metrics' },
          ...(app.prettyLogs && { transport: { target: 'pino-pretty', options: { singleLine: true } } }),
        },
        forRoutes: ['{*splat}'],
      }),
    }),
  ],
})
export class AppLoggerModule {}
