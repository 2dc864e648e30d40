import { type AppConfig, appConfig } from '@app/config';
import { Global, Module } from '@nestjs/common';
import { AppLogger, createPino } from './app-logger';

/**
 * Structured JSON logs through pino, shared by both apps: `app.useLogger(app.get(AppLogger))`.
 * Request lines are the api's own (apps/api/src/http/request-logging.ts), written through the
 * same logger: no middleware, one line per request.
 */
@Global()
@Module({
  providers: [
    {
      provide: AppLogger,
      inject: [appConfig.KEY],
      useFactory: (app: AppConfig) => new AppLogger(createPino({ level: app.logLevel, pretty: app.prettyLogs })),
    },
  ],
  exports: [AppLogger],
})
export class AppLoggerModule {}
