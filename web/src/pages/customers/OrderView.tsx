import { Descriptions, Drawer, Table } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Answer } from '../../api';
import { OrderStatusTag } from '../../components/labels';
import { ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money } from '../../format';
import { useApi } from '../../hooks';

type Line = Answer<'/orders/{id}'>['items'][number];
type Order = Answer<'/orders/{id}'>;

/** Province, city and district before the street, unless the address already starts with them. */
function fullAddress(d: Order): string {
  const region = [d.province, d.city, d.district].filter(Boolean).join(' ');
  if (!d.address) return region;
  return d.province && d.address.startsWith(d.province) ? d.address : `${region} ${d.address}`.trim();
}

/** One order beside the page: its lines and amounts; receiver and address as the server shows them to this role. */
export function OrderView({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const o = useApi(id ? '/orders/{id}' : null, { params: { id: id ?? '' } });
  const d = o.data;
  return (
    <Drawer
      open={id !== null}
      onClose={onClose}
      width={640}
      title={d && d.id === id ? t('orderView.title', { number: d.externalId }) : t('timeline.openOrder')}
      data-testid="order-view"
    >
      {o.error ? (
        <ErrorBox error={o.error} />
      ) : !d || d.id !== id ? (
        <Loading />
      ) : (
        <>
          <Descriptions column={2} size="small" style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('orderView.store')}>{d.storeName ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.status')}>
              <OrderStatusTag value={d.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t('orderView.createdAt')}>{dateTime(d.createdAt)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.paidAt')}>{dateTime(d.paidAt)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.shippedAt')}>{dateTime(d.shippedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.signedAt')}>{dateTime(d.signedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.goods')}>{money(d.goodsFen, d.currency)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.shipping')}>{money(d.shippingFen, d.currency)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.discount')}>{money(d.discountFen, d.currency)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.total')}>{money(d.totalFen, d.currency)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.paid')}>{money(d.paidFen, d.currency)}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.refunded')}>
              {d.refundedFen ? money(d.refundedFen, d.currency) : '—'}
            </Descriptions.Item>
            <Descriptions.Item label={t('orderView.receiver')}>{d.receiverName ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.phone')}>{d.receiverPhone ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('orderView.address')} span={2}>
              <span data-testid="order-address">{fullAddress(d) || '—'}</span>
            </Descriptions.Item>
            {d.buyerMessage && (
              <Descriptions.Item label={t('orderView.buyerMessage')} span={2}>
                {d.buyerMessage}
              </Descriptions.Item>
            )}
          </Descriptions>
          <Table<Line>
            rowKey="lineKey"
            size="small"
            dataSource={d.items}
            pagination={false}
            title={() => t('orderView.lines')}
            columns={[
              { title: t('orderView.product'), render: (_, l) => l.title ?? d.title ?? '—' },
              { title: t('orderView.sku'), render: (_, l) => l.sku ?? '—' },
              { title: t('orderView.quantity'), align: 'right', render: (_, l) => count(l.quantity) },
              { title: t('orderView.price'), align: 'right', render: (_, l) => money(l.priceFen, d.currency) },
              { title: t('orderView.refundStatus'), render: (_, l) => l.refundStatus ?? '—' },
            ]}
          />
        </>
      )}
    </Drawer>
  );
}
