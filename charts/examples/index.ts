import type { App } from 'cdk8s';
import { BasicHttpChart } from './basic-http.ts';
import { BasicHttpsChart } from './basic-https.ts';
import { BookinfoChart } from './bookinfo.ts';
import { EchoChart } from './echo.ts';
import { ExamChart } from './exam.ts';
import { TlsPassthroughChart } from './tls-passthrough.ts';

export { BasicHttpChart, BasicHttpsChart, BookinfoChart, EchoChart, ExamChart, TlsPassthroughChart };

/** Adds the whole seed lab to `app`, one chart (and so one dist/ file) per lab manifest. */
export function addSeedLab(app: App): void {
  const bookinfo = new BookinfoChart(app, 'bookinfo');
  const http = new BasicHttpChart(app, 'basic-http', bookinfo);
  new BasicHttpsChart(app, 'basic-https', bookinfo);
  new TlsPassthroughChart(app, 'tls-passthrough');
  const echo = new EchoChart(app, 'echo-servers', { gateway: http.gateway });
  new ExamChart(app, 'exam', { echo1: echo.echo1, echo2: echo.echo2 });
}
