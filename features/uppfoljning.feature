# language: sv
Egenskap: Uppföljningen av strategin per kommun
  Strategin, "Så följer vi upp arbetet": "Uppföljning av strategin genomförs vartannat år med
  hjälp av både kvantitativa och kvalitativa metoder. Uppföljningen ska återkopplas till
  respektive kommun." Målområde 2: "finnas tillgång till familjecentral i familjens närområde,
  minst en per kommun", en kartläggning av "vilka målgrupper som nås inom respektive kommun",
  och att "utvecklas arbetssätt för att nå de föräldrar som inte nås".

  Bakgrund:
    Givet uppföljningen av länet

  @strategi-malomrade-2
  Scenario: En kommun utan familjecentral visas som att den saknar "minst en per kommun"
    Givet att kommunen "Laxå" har rapporterat att insatsen "familjecentral" saknas
    Så visas kommunen "Laxå" som att den saknar strategins ”minst en per kommun”
    Och kartan säger om "Laxå" att familjecentral saknas

  @strategi-malomrade-2 @presentation-norra-lansdelen
  Scenario: En kommun med familjecentral uppfyller "minst en per kommun"
    Så visas kommunen "Nora" med en familjecentral

  @strategi-malomrade-2
  Scenario: Det som ingen har rapporterat visas som okänt, inte som uppfyllt
    Så visas det som okänt om kommunen "Örebro" har en familjecentral

  @strategi-malomrade-2
  Scenario: Kartläggningen visar hur mycket som är okänt i varje kommun
    Så är andelen okända celler i kartläggningen större för "Örebro" än för "Nora"

  @presentation-2022
  Scenario: Indikatorn från 2022 års presentation, föräldraskapsprogram per kommun
    Givet att kommunen "Laxå" har rapporterat att insatsen "abc" finns
    Så erbjuder kommunen "Laxå" minst ett föräldraskapsprogram enligt uppföljningen

  @strategi-malomrade-2
  Scenario: Ett rekommenderat stöd som saknas i kommunen är ett ej tillgodosett behov
    Givet att kommunen "Laxå" har rapporterat att insatsen "overvikt-fetma" saknas
    Och att 10 bedömningar har registrerats i kommunen "Laxå" för barn som är 96 månader med behovet "overvikt_fetma"
    Så är det ej tillgodosedda behovet i "Laxå" 100 per 100 bedömningar

  @strategi-malomrade-2
  Scenario: Få registrerade bedömningar visas inte, så att ingen familj kan pekas ut
    Givet att 3 bedömningar har registrerats i kommunen "Nora" för barn som är 8 månader
    Så visas det ej tillgodosedda behovet i "Nora" som skyddat

  @kontrakt
  Scenario: Kartan visar varje kommun i länet med dess namn
    Så har kartan en form med namn för varje kommun i länet
