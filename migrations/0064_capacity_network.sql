-- Network bandwidth in the capacity history (seed 8.1 网络资源: 监控带宽使用趋势，预测未来带宽需求):
-- the recording worker's host traffic of the last 24 hours, from 1-minute rates of /proc/net/dev
-- summed over every interface but loopback, as cb_host_network_bytes_total counts them
-- (src/ops/capacity/usage-tracker.ts). Null when it had not watched a whole minute yet, or where
-- /proc/net/dev cannot be read; a later run the same day without them keeps an earlier run's.
-- `cb capacity` and GET /v1/ops/capacity fit the daily peak's growth and project it.
alter table capacity_samples
  -- Bytes per second: the highest 1-minute rate of the day, and bytes ÷ seconds watched.
  add column network_rx_peak_bytes_per_second double precision
    check (network_rx_peak_bytes_per_second >= 0),
  add column network_rx_mean_bytes_per_second double precision
    check (network_rx_mean_bytes_per_second >= 0),
  add column network_tx_peak_bytes_per_second double precision
    check (network_tx_peak_bytes_per_second >= 0),
  add column network_tx_mean_bytes_per_second double precision
    check (network_tx_mean_bytes_per_second >= 0),
  -- The link's speed in bytes per second: the sum of /sys/class/net/<iface>/speed over the counted
  -- interfaces backed by a device (virtual ones report -1, nothing, or a made-up speed). Null when
  -- none reports one (a virtio NIC usually does not): the report then gives no days until 70 %.
  add column network_link_bytes_per_second bigint check (network_link_bytes_per_second > 0),
  add check ((network_rx_peak_bytes_per_second is null) = (network_tx_peak_bytes_per_second is null));
