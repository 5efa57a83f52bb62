# language: sv
Egenskap: Vilket stöd finns i familjens kommun
  Strategin, avsnitt 1: stödet ska ges till alla, "oavsett i vilken kommun eller bostadsområde i
  Örebro län familjerna bor". Målområde 2 begär en kartläggning per kommun av vilka insatser som
  genomförs. Beslutsstödet säger därför för varje insats om den finns i kommunen, saknas, eller om
  det är okänt, och vad uppgiften bygger på: "källa" (en källa säger det för kommunen),
  "antagande" (en slutsats, med sitt skäl) eller "kommunens uppgift". Presentationen 2022 listar
  insatserna för norra länsdelen som helhet, och vilka kommuner som hör dit säger ingen källa: att
  Hällefors, Lindesberg, Ljusnarsberg och Nora erbjuder dem är därför ett antagande.

  @presentation-norra-lansdelen @strategi-malomrade-2
  Scenariomall: <insats> finns i <kommun> i norra länsdelen
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    När stödet bedöms
    Så finns insatsen "<insats>" i kommunen
    Och tillgången för insatsen "<insats>" bygger på "antagande"

    Exempel:
      | kommun       | insats           | ålder |
      | Hällefors    | bvc              | 8     |
      | Lindesberg   | utokade-hembesok | 8     |
      | Ljusnarsberg | familjecentral   | 30    |
      | Nora         | abc              | 48    |
      | Nora         | bvc              | 72    |

  @presentation-norra-lansdelen @strategi-malomrade-2
  Scenariomall: Utanför norra länsdelen är tillgången okänd tills kommunen kartlagts
    Givet en familj i kommunen "<kommun>" med ett barn som är <ålder> månader
    När stödet bedöms
    Så rekommenderas insatsen "<insats>" på nivån "universell"
    Och insatsen "<insats>" är markerad som "okänd"

    Exempel:
      | kommun    | insats         | ålder |
      | Örebro    | familjecentral | 8     |
      | Karlskoga | abc            | 48    |
      | Kumla     | bvc            | 8     |

  @socialtjanstlagen @strategi-avsnitt-1
  Scenariomall: Familjerådgivning antas finnas i varje kommun
    Givet en familj i kommunen "<kommun>" med ett barn som är 30 månader
    Och behovet "relationsproblem_foraldrar"
    När stödet bedöms
    Så finns insatsen "familjeradgivning" i kommunen
    Och tillgången för insatsen "familjeradgivning" bygger på "antagande"
    Och insatsen "familjeradgivning" rekommenderas på grund av behovet "relationsproblem_foraldrar"

    Exempel:
      | kommun    |
      | Askersund |
      | Hallsberg |
      | Nora      |

  @kontrakt
  Scenariomall: Kommunen kan anges som <angivet>
    Givet en familj i kommunen "<angivet>" med ett barn som är 8 månader
    När stödet bedöms
    Så rekommenderas insatsen "bvc" på nivån "universell"
    Och insatsen "bvc" är markerad som "<tillgång>"

    Exempel:
      | angivet            | tillgång |
      | 1884               | finns    |
      | hallefors          | finns    |
      | HÄLLEFORS          | finns    |
      | Lindesbergs kommun | finns    |
      | orebro             | okänd    |
      | 1880               | okänd    |
